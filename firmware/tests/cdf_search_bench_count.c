/*
 * cdf_search_bench_count.c - the counter of CDF evaluations of bench/cdf_search.py's
 * counting build (see cdf_search_bench_count.h).
 */
unsigned long long spk_cb_n_evals_ext;
