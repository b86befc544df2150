/* Name resolution and sockets in one process: getaddrinfo("localhost"), inet_pton/ntop, a TCP
   loopback connection and a socketpair, gethostname, getservbyname. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(void) {
    struct addrinfo hints = {0}, *res; hints.ai_family = AF_INET; hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo("localhost", "80", &hints, &res);
    if (rc == 0) { char ip[64]; inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip, sizeof ip);
        printf("localhost -> %s port %d\n", ip, ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port)); freeaddrinfo(res); }
    else printf("getaddrinfo: %s\n", gai_strerror(rc));
    hints.ai_flags = AI_NUMERICHOST; rc = getaddrinfo("127.0.0.2", NULL, &hints, &res); printf("numeric rc=%d\n", rc); if (!rc) freeaddrinfo(res);
    unsigned char a6[16]; inet_pton(AF_INET6, "fe80::1:2", a6); char s6[64]; inet_ntop(AF_INET6, a6, s6, sizeof s6); printf("v6 %s\n", s6);
    char h[256]; printf("gethostname rc=%d\n", gethostname(h, sizeof h));
    int srv = socket(AF_INET, SOCK_STREAM, 0); int one = 1; setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {0}; sa.sin_family = AF_INET; sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(srv, (struct sockaddr *)&sa, sizeof sa); listen(srv, 1); socklen_t sl = sizeof sa; getsockname(srv, (struct sockaddr *)&sa, &sl);
    int cl = socket(AF_INET, SOCK_STREAM, 0); printf("connect=%d\n", connect(cl, (struct sockaddr *)&sa, sizeof sa));
    int acc = accept(srv, NULL, NULL); write(cl, "ping", 4); char buf[16] = {0}; read(acc, buf, sizeof buf - 1); printf("tcp got %s\n", buf);
    struct sockaddr_in peer; sl = sizeof peer; getpeername(acc, (struct sockaddr *)&peer, &sl); printf("peer %s\n", inet_ntoa(peer.sin_addr));
    shutdown(cl, SHUT_WR); printf("eof read=%zd\n", read(acc, buf, 1)); close(cl); close(acc); close(srv);
    int sv[2]; socketpair(AF_UNIX, SOCK_DGRAM, 0, sv); send(sv[0], "dgram", 5, 0); memset(buf, 0, sizeof buf); recv(sv[1], buf, sizeof buf, 0); printf("socketpair %s\n", buf);
    int u = socket(AF_INET, SOCK_DGRAM, 0); struct sockaddr_in ua = {0}; ua.sin_family = AF_INET; ua.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(u, (struct sockaddr *)&ua, sizeof ua); sl = sizeof ua; getsockname(u, (struct sockaddr *)&ua, &sl);
    sendto(u, "udp!", 4, 0, (struct sockaddr *)&ua, sizeof ua); memset(buf, 0, sizeof buf); struct sockaddr_in from; sl = sizeof from;
    recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &sl); printf("udp %s from same port %d\n", buf, from.sin_port == ua.sin_port);
    struct servent *se = getservbyname("http", "tcp"); printf("http port %d\n", se ? ntohs(se->s_port) : -1);
    return 0;
}
