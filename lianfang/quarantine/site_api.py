from ninja import Router

router = Router(tags=["quarantine sites"])
