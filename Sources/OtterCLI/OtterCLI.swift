// OtterCLI
