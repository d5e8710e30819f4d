"""The presets, one module per family. Each module declares `ORDER` (where its family comes
in `resnet-inspect list`) and `register_all()`, which files its presets with
`spec.registry.register`. The registry imports every module here on first use: adding a
family is adding a file."""
