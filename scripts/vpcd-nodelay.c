/*
 * LD_PRELOAD shim for pcscd: sets TCP_NODELAY on every TCP socket returned by accept()/accept4().
 *
 * Why: Debian's vpcd driver (vsmartcard 3.3, loaded into pcscd) writes a frame's 2-byte length and
 * its payload in two separate send() calls. With Nagle's algorithm on vpcd's accepted socket the
 * payload waits for the peer's delayed ACK, so every APDU stalls about 44 ms. vpcd never sets
 * TCP_NODELAY itself and the card end cannot set it for the other side, so we set it where the
 * socket is born. scripts/pcsc-stack.sh compiles this into .tmp/pcsc/ and starts pcscd with it.
 *
 * Build: gcc -shared -fPIC -O2 -o libvpcd-nodelay.so vpcd-nodelay.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);
typedef int (*accept4_fn)(int, struct sockaddr *, socklen_t *, int);

/* pcscd also accepts its own UNIX-domain clients: only TCP sockets take TCP_NODELAY. */
static void set_nodelay(int fd)
{
    int saved_errno = errno;
    int domain = 0;
    socklen_t len = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
        (domain == AF_INET || domain == AF_INET6)) {
        int one = 1;
        /* Best effort: a failure leaves the socket as it was, only slower. */
        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    errno = saved_errno;
}

int accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    static accept_fn real_accept;
    if (!real_accept) real_accept = (accept_fn) dlsym(RTLD_NEXT, "accept");
    if (!real_accept) {
        errno = ENOSYS;
        return -1;
    }
    int client = real_accept(fd, addr, addrlen);
    if (client >= 0) set_nodelay(client);
    return client;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
    static accept4_fn real_accept4;
    if (!real_accept4) real_accept4 = (accept4_fn) dlsym(RTLD_NEXT, "accept4");
    if (!real_accept4) {
        errno = ENOSYS;
        return -1;
    }
    int client = real_accept4(fd, addr, addrlen, flags);
    if (client >= 0) set_nodelay(client);
    return client;
}
