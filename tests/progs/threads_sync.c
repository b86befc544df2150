/* pthread synchronisation whose results are deterministic: a condition-variable producer/consumer,
 * a barrier, a rwlock, thread-local storage, and a robust mutex whose owner dies. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define ITEMS 20000
#define SLOTS 8
static int ring[SLOTS], head, tail, count;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg) {
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&mu);
        while (count == SLOTS)
            pthread_cond_wait(&not_full, &mu);
        ring[head] = i, head = (head + 1) % SLOTS, count++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&mu);
    }
    return arg;
}

static void *consumer(void *arg) {
    long sum = 0;
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&mu);
        while (count == 0)
            pthread_cond_wait(&not_empty, &mu);
        sum += ring[tail], tail = (tail + 1) % SLOTS, count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&mu);
    }
    return (void *)sum;
}

#define BARRIER_THREADS 4
#define ROUNDS 50
static pthread_barrier_t barrier;
static int arrived[ROUNDS];
static int barrier_errors;

static void *barrier_worker(void *arg) {
    for (int r = 0; r < ROUNDS; r++) {
        __atomic_add_fetch(&arrived[r], 1, __ATOMIC_SEQ_CST);
        pthread_barrier_wait(&barrier);
        if (__atomic_load_n(&arrived[r], __ATOMIC_SEQ_CST) != BARRIER_THREADS)
            __atomic_add_fetch(&barrier_errors, 1, __ATOMIC_SEQ_CST);
        pthread_barrier_wait(&barrier);
    }
    return arg;
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long shared_a, shared_b;
static int torn;

static void *rw_writer(void *arg) {
    for (int i = 0; i < 20000; i++) {
        pthread_rwlock_wrlock(&rw);
        shared_a++;
        shared_b++;
        pthread_rwlock_unlock(&rw);
    }
    return arg;
}

static void *rw_reader(void *arg) {
    for (int i = 0; i < 20000; i++) {
        pthread_rwlock_rdlock(&rw);
        if (shared_a != shared_b)
            __atomic_add_fetch(&torn, 1, __ATOMIC_SEQ_CST);
        pthread_rwlock_unlock(&rw);
    }
    return arg;
}

static __thread long tls_value = 7;
static __thread char tls_name[16];

static void *tls_worker(void *arg) {
    long id = (long)arg;
    snprintf(tls_name, sizeof tls_name, "worker-%ld", id);
    for (int i = 0; i < 1000; i++)
        tls_value += id;
    return (void *)(tls_value * 100 + (long)strlen(tls_name));
}

static pthread_mutex_t robust;

static void *dies_holding(void *arg) {
    pthread_mutex_lock(&robust);
    return arg;  /* the thread ends with the mutex held */
}

int main(void) {
    pthread_t p, c, t[BARRIER_THREADS];
    void *r;
    pthread_create(&c, NULL, consumer, NULL);
    pthread_create(&p, NULL, producer, NULL);
    pthread_join(p, NULL);
    pthread_join(c, &r);
    printf("condvar: sum %ld (expected %ld)\n", (long)r, (long)ITEMS * (ITEMS + 1) / 2);

    pthread_barrier_init(&barrier, NULL, BARRIER_THREADS);
    for (long i = 0; i < BARRIER_THREADS; i++)
        pthread_create(&t[i], NULL, barrier_worker, (void *)i);
    for (int i = 0; i < BARRIER_THREADS; i++)
        pthread_join(t[i], NULL);
    printf("barrier: %d rounds, %d errors\n", ROUNDS, barrier_errors);

    pthread_create(&t[0], NULL, rw_writer, NULL);
    pthread_create(&t[1], NULL, rw_reader, NULL);
    pthread_create(&t[2], NULL, rw_reader, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("rwlock: a=%ld b=%ld torn=%d\n", shared_a, shared_b, torn);

    for (long i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, tls_worker, (void *)(i + 1));
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], &r);
        printf("tls: thread %d -> %ld\n", i + 1, (long)r);
    }
    printf("tls: main still %ld, name '%s'\n", tls_value, tls_name);

    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &ma);
    pthread_create(&t[0], NULL, dies_holding, NULL);
    pthread_join(t[0], NULL);
    int rc = pthread_mutex_lock(&robust);
    printf("robust: lock -> %s\n", rc == EOWNERDEAD ? "EOWNERDEAD" : rc == 0 ? "0" : strerror(rc));
    if (rc == EOWNERDEAD) {
        pthread_mutex_consistent(&robust);
        pthread_mutex_unlock(&robust);
        printf("robust: relock -> %d\n", pthread_mutex_lock(&robust));
    }
    return 0;
}
