"""``python -m intel.cli ARGS``: the ``intel`` command without the installed script."""
from intel.cli import main

main(prog_name="intel")
