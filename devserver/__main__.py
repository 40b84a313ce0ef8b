from devserver.server import main

main()
