/*
 * cdf_search_bench_count.h - spliced into model_cdf.h by bench/cdf_search.py
 * (count_sources), right after the definition of spk_cdf_eval, which the bench renames
 * spk_cdf_eval_raw: every later use of spk_cdf_eval goes through a wrapper that counts
 * the CDF evaluations in spk_cb_n_evals_ext (defined in cdf_search_bench_count.c, read
 * by spk_cb_evals). Not a header of its own: it needs spk_cdf_model_t and
 * spk_cdf_eval_raw before it.
 */
#define SPK_CB_COUNTING 1
extern unsigned long long spk_cb_n_evals_ext;

/* spk_cdf_eval, counted. */
static inline uint32_t spk_cdf_eval_counted(const spk_cdf_model_t *m, uint32_t k, uint32_t L, int32_t ls)
{
    spk_cb_n_evals_ext++;
    return spk_cdf_eval_raw(m, k, L, ls);
}
#define spk_cdf_eval spk_cdf_eval_counted
