;; tests/tools/edn-read.clj FILE: reads a history that labo wrote
;; (docs/check.md, "History format") with Clojure's own EDN reader, as
;; Knossos's and Elle's command lines read one (form after form), and
;; checks what Knossos asserts of it: every op a map with :type, :f,
;; :process, :time and :index (0, 1, ... in the file's order, time never
;; going back), a process invoking only when its last op is answered, a
;; :fail carrying its invocation's :value. Prints "edn-read: N ops, ..."
;; or the first fault, and exits 1. Needs Debian's package clojure.
(require '[clojure.edn :as edn] '[clojure.java.io :as io])
(import '(java.io PushbackReader))

(defn fail! [& msg]
  (binding [*out* *err*] (apply println "edn-read:" msg))
  (System/exit 1))

(let [file (first *command-line-args*)
      ops (with-open [r (PushbackReader. (io/reader file))]
            (->> (repeatedly #(edn/read {:eof ::eof} r))
                 (take-while #(not= % ::eof))
                 vec))]
  (loop [i 0, last-time Long/MIN_VALUE, open {}, ops ops, nemesis 0]
    (if-let [op (first ops)]
      (let [{:keys [type f process time index value]} op
            p process]
        (when-not (map? op) (fail! "form" i "is not a map:" (pr-str op)))
        (when-not (#{:invoke :ok :fail :info} type) (fail! "op" i "has :type" (pr-str type)))
        (when-not (keyword? f) (fail! "op" i "has :f" (pr-str f)))
        (when-not (integer? time) (fail! "op" i "has :time" (pr-str time)))
        (when (< time last-time) (fail! "op" i "goes back in time:" (pr-str op)))
        (when-not (= index i) (fail! "op" i "has :index" (pr-str index)))
        (cond
          (= p :nemesis)
          (do (when-not (and (= type :info) (string? value))
                (fail! "nemesis op" i "is not an :info with a text:" (pr-str op)))
              (recur (inc i) time open (rest ops) (inc nemesis)))

          (integer? p)
          (do (when-not (and (vector? value) (= 2 (count value)) (integer? (first value)))
                (fail! "op" i "has no [key value] tuple:" (pr-str op)))
              (case type
                :invoke (do (when (contains? open p)
                              (fail! "process" p "invokes while running" (pr-str (open p))))
                            (recur (inc i) time (assoc open p op) (rest ops) nemesis))
                (let [inv (open p)]
                  (when-not inv (fail! "op" i "completes nothing:" (pr-str op)))
                  (when-not (= f (:f inv)) (fail! "op" i "completes another :f:" (pr-str op)))
                  (when (and (= type :fail) (not= value (:value inv)))
                    (fail! "op" i "fails with another value than its invocation's:" (pr-str op)))
                  (recur (inc i) time (dissoc open p) (rest ops) nemesis))))

          :else (fail! "op" i "has :process" (pr-str p))))
      (do (when (seq open) (fail! (count open) "invocations never answered"))
          (println "edn-read:" i "ops," nemesis "of the nemesis, read by clojure.edn")))))
