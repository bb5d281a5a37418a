// OtterHarness
