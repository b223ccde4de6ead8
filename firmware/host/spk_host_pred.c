/*
 * spk_host_pred.c - whole-file drivers of the generated predictor (spk_host_pred.h).
 * Only reset/step/features/input/latent/head of spk_pred.h are called: no arithmetic here.
 */
#include "spk_host_pred.h"
#include "spk_pred.h"

void spk_pred_host_run(const int16_t *codes, int32_t n, int32_t *L, int32_t *log2s_q8)
{
    spk_pred_state_t s;
    int32_t t;
    if (n <= 0)
        return;
    spk_pred_reset(&s, codes[0]);
    for (t = 0; t < n; t++)
        spk_pred_step(&s, codes[t], &L[t], &log2s_q8[t]);
}

void spk_pred_host_features(const int16_t *codes, int32_t n, int32_t m, int32_t *value, int32_t *sh)
{
    spk_pred_state_t s;
    int32_t t;
    if (n <= 0)
        return;
    spk_pred_reset(&s, codes[0]);
    for (t = 0; t < n; t++)
        sh[t] = spk_pred_features(&s, codes[t], &value[t * m]);
}

void spk_pred_host_inputs(const int16_t *codes, int32_t n, int16_t *u, int32_t *sh)
{
    spk_pred_state_t s;
    int16_t v[SPK_PRED_U_ALLOC];
    int32_t t, i;
    if (n <= 0)
        return;
    spk_pred_reset(&s, codes[0]);
    for (t = 0; t < n; t++) {
        sh[t] = spk_pred_input(&s, codes[t], v);
        for (i = 0; i < SPK_PRED_INPUTS; i++)
            u[t * SPK_PRED_INPUTS + i] = v[i];
    }
}

int spk_pred_host_split(const int16_t *codes, int32_t n, const int16_t *peer_mean, int16_t *z,
                        int32_t *L, int32_t *log2s_q8)
{
#if SPK_PRED_MIDDLEOUT
    spk_pred_state_t s;
    int16_t u[SPK_PRED_U_ALLOC];
    int32_t t, sh;
    if (n <= 0)
        return 1;
    spk_pred_reset(&s, codes[0]);
    for (t = 0; t < n; t++) {
        sh = spk_pred_input(&s, codes[t], u);
        spk_pred_latent(&s, u, &z[t * SPK_PRED_LATENT]);
        spk_pred_head(&s, codes[t], sh, &z[t * SPK_PRED_LATENT], &peer_mean[t * SPK_PRED_LATENT], &L[t],
                      &log2s_q8[t]);
    }
    return 1;
#else
    (void)codes; (void)n; (void)peer_mean; (void)z; (void)L; (void)log2s_q8;
    return 0;
#endif
}
