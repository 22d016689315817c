"""Demo data: a generated district to try Lianfang with. The product never imports this package."""
