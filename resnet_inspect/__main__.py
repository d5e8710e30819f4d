from resnet_inspect.cli import run

run()
