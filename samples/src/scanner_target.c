/* scanner_target.c -- a target for the stepper's memory value scanner
 * ("cheat engine" style): the global `gold` changes in known steps, and
 * every change goes through spend() / earn(), so breakpoints on those
 * symbols stop right where the value changes.
 *   gold: 1000 -> 990 -> 1015 -> ... ; prints the final value. */
#include <stdio.h>

volatile int gold = 1000;

__attribute__((noinline)) void spend(int amount)
{
    gold -= amount;
}

__attribute__((noinline)) void earn(int amount)
{
    gold += amount;
}

int main(void)
{
    printf("gold = %d\n", gold);
    for (int round = 1; round <= 10; round++) {
        spend(10 * round);
        earn(25);
        printf("round %d: gold = %d\n", round, gold);
    }
    spend(5);
    printf("final gold = %d\n", gold);
    return 0;
}
