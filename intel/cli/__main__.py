"""``python -m intel.cli ARGS``: the ``intel`` command without the installed script."""
from intel.cli import main

if __name__ == "__main__":   # importing the module (e.g. to check imports) runs nothing
    main(prog_name="intel")
