// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** One Context shared by several Java threads saving at once, as a host's request threads do. */
public class ThreadsTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static final int THREADS = 4;
    private static final int SAVES = 5;

    @Test
    public void oneContextManyThreads() throws Exception {
        String form = Fixtures.form();
        try (Context ctx = Fixtures.newHome(tmp.getRoot().toPath())) {
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int n = t;
                threads.add(new Thread(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < SAVES; i++) {
                            String id = "R-T" + n + "-" + i;
                            byte[] stamped = ctx.save(Fixtures.WORKER,
                                    Fixtures.bytes(form.replace("id=\"R-7001\"", "id=\"" + id + "\"")));
                            try (Record r = Record.open(stamped)) {
                                assertEquals(id, r.id());
                                assertEquals(1, r.version());
                            }
                            assertTrue(ctx.verify(stamped).contains("VERIFIED"));
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }, "saver-" + t));
            }
            threads.forEach(Thread::start);
            start.countDown();
            for (Thread t : threads)
                t.join();
            assertTrue(errors.toString(), errors.isEmpty());
            // the key, the policy change and every save
            assertEquals(2 + THREADS * SAVES, ctx.journalVerify().entries());
        }
    }
}
