// OtterCrypto
