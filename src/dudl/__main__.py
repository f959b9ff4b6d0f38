from dudl.cli import main

main()
