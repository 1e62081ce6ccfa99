import sys

from promptlab.cli import main

sys.exit(main())
