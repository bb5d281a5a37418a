#ifndef OTTER_CCRYPTO_SHIM_H
#define OTTER_CCRYPTO_SHIM_H
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>
#endif
