print("otter-cert")
