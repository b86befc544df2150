// goroutines, channels, time.Sleep, runtime.GC and os/exec: the Go runtime's threads (clone), futexes,
// signals and a fork+exec from whatever thread runs the goroutine.
package main

import (
	"fmt"
	"os/exec"
	"runtime"
	"sync"
	"time"
)

func main() {
	ch := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			time.Sleep(time.Duration(n) * time.Millisecond)
			ch <- n * n
		}(i)
	}
	go func() { wg.Wait(); close(ch) }()
	sum := 0
	for v := range ch {
		sum += v
	}
	runtime.GC()
	out, err := exec.Command("/bin/echo", "from a child").Output()
	fmt.Println("sum", sum, "gc ok", string(out), err)
}
