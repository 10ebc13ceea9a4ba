from papertriage.cli import main

main()
