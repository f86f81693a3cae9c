import sys

if sys.argv[1:2] in (["summarize"], ["load"]):
    # Files are read in children of a fork server (pmhc.ingest.isolation): starting it now
    # lets its imports run while this process imports the rest of the command line.
    from pmhc.ingest import isolation

    isolation.warm_up()

from pmhc.cli import main

sys.exit(main())
