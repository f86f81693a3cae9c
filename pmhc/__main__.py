import sys

from pmhc.cli import main

sys.exit(main())
