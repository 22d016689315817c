"""Pass-card sheets (PDF) and reading a photographed QR code."""

from ninja import Router

router = Router(tags=["checkpoints"])
