#include <stdio.h>
#include <fenv.h>
int main(int argc,char**argv){ volatile double z=argc-1; volatile double x=1.0/z; volatile float f=1e30f; f=f*f;
unsigned m; __asm__("stmxcsr %0":"=m"(m)); unsigned short cw; __asm__("fnstcw %0":"=m"(cw));
printf("%f %f mxcsr=%#x fcw=%#x\n", x, (double)f, m & ~0x3f, cw); return 0;}
