from incident_cli.entry import main

main()
