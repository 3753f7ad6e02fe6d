/*
 * LD_PRELOAD shim for benchmark peers that cannot be told where to listen (Orthanc 1.10 binds every
 * interface even with RemoteAccessAllowed false): bind() to the IPv4 or IPv6 wildcard address becomes
 * bind() to 127.0.0.1 or ::1. Everything else passes through untouched.
 *
 *   cc -shared -fPIC -O2 -o loopback_bind.so loopback_bind.c -ldl
 *   LD_PRELOAD=./loopback_bind.so Orthanc config.json
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_function)(int, const struct sockaddr *, socklen_t);

int bind(int descriptor, const struct sockaddr *address, socklen_t length) {
    static bind_function real_bind;
    if (!real_bind) real_bind = (bind_function)dlsym(RTLD_NEXT, "bind");
    if (address && address->sa_family == AF_INET && length >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in loopback;
        memcpy(&loopback, address, sizeof loopback);
        if (loopback.sin_addr.s_addr == htonl(INADDR_ANY)) {
            loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            return real_bind(descriptor, (const struct sockaddr *)&loopback, sizeof loopback);
        }
    } else if (address && address->sa_family == AF_INET6 && length >= (socklen_t)sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 loopback;
        memcpy(&loopback, address, sizeof loopback);
        if (memcmp(&loopback.sin6_addr, &in6addr_any, sizeof in6addr_any) == 0) {
            loopback.sin6_addr = in6addr_loopback;
            return real_bind(descriptor, (const struct sockaddr *)&loopback, sizeof loopback);
        }
    }
    return real_bind(descriptor, address, length);
}
