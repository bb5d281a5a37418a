// OtterClient
