// OtterHTTP
