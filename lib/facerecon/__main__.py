"""python -m facerecon <command>: see app/cli.py."""
import sys

from .app.cli import main

sys.exit(main())
