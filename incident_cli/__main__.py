from incident_cli.cli import main

main()
