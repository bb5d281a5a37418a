print("sample-partner")
