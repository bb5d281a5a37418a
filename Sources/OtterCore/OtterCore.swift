// OtterCore
