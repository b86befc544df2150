// C++ threads: std::thread with a std::atomic counter, and std::async (launch::async: a thread).
#include <thread>
#include <future>
#include <vector>
#include <atomic>
#include <iostream>
int main() {
    std::atomic<long> n{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; i++) ts.emplace_back([&] { for (int j = 0; j < 10000; j++) n++; });
    for (auto &t : ts) t.join();
    auto f = std::async(std::launch::async, [] { return 6 * 7; });
    std::cout << n << " " << f.get() << std::endl;
}
