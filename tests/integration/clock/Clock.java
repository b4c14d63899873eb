// The wall clock as the JVM reads it (System.currentTimeMillis), for
// t-clock.sh and bench/clock.sh: `Clock N [MS]`, N lines "MILLIS NANOS"
// MS (500) milliseconds apart, NANOS System.nanoTime (the monotonic clock,
// which libfaketime leaves alone): over a run, d(MILLIS) / d(NANOS) is the
// clock's rate.
public class Clock {
  public static void main(String[] a) throws Exception {
    int n = a.length > 0 ? Integer.parseInt(a[0]) : 1;
    long ms = a.length > 1 ? Long.parseLong(a[1]) : 500;
    for (int i = 0; i < n; i++) {
      if (i > 0) Thread.sleep(ms);
      System.out.println(System.currentTimeMillis() + " " + System.nanoTime());
    }
  }
}
