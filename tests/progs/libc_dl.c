/* dlopen from a static binary: expected to fail natively too (with a message) or succeed the same way. */
#include <dlfcn.h>
#include <stdio.h>
int main(void) {
    void *h = dlopen("libm.so.6", RTLD_NOW);
    printf("dlopen %s\n", h ? "ok" : "failed");
    if (h) { double (*c)(double) = (double (*)(double))dlsym(h, "cos"); printf("cos(0)=%g\n", c ? c(0) : -1); }
    return 0;
}
