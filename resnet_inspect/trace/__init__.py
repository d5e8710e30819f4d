"""One forward pass (or training step) -> Report. Each module builds on those before it:
device.py (where a trace runs), resnet_view.py (ResNet names), tensors.py (the model's own
tensors), training.py (what a training step adds), modules.py and counter.py (operators
charged to module rows), hooks.py (the running-module stack), explain.py (failures),
totals.py, tracer.py (`trace`) and run.py (`inspect`: a name, spec or module -> Report)."""
