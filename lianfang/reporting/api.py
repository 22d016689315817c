"""The JSON API of daily reporting."""

from ninja import Router

router = Router(tags=["reporting"])
