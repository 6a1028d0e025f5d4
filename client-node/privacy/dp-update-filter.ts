import { addGaussianNoise, clipL2, siteNoiseStddev } from '../../common/dp/gaussian-noise.js';
import { cryptoNoiseSource, type NoiseSource } from '../../common/dp/noise-source.js';
import { HeflError } from '../../common/errors/index.js';
import type { FilteredUpdate, FilterRecord, UpdateFilter } from './update-filter.js';

/** How a DP job's updates are clipped and noised at each site (from `evaluateJob`). */
export interface DpFilterSettings {
  /** L2 bound of one site's update per round (the sensitivity), in weight units; the job's dp.clipNorm. */
  readonly clipNorm: number;
  /**
   * sigma: stddev of the noise in the SUM of updates divided by clipNorm; the value the
   * RDP accountant was run with.
   */
  readonly noiseMultiplier: number;
  /**
   * K: number of sites whose noise shares are certain to be in every round's sum. Each site
   * adds N(0, (sigma * clipNorm)^2 / K), so K honest contributions together carry
   * N(0, (sigma * clipNorm)^2). More contributors only add noise; fewer would leave too
   * little, so K must not exceed the fewest sites a round can close with (the job's minSites).
   */
  readonly noiseShares: number;
}

export interface DpFilterRecord extends FilterRecord {
  readonly filter: 'dp-gaussian';
  readonly clipNorm: number;
  readonly noiseMultiplier: number;
  readonly noiseShares: number;
  /**
   * Whether the update's norm exceeded clipNorm. This bit depends on the data and is not
   * covered by the DP guarantee: keep it in the site's own log, never send it to a peer.
   */
  readonly clipped: boolean;
}

/**
 * Relative safety margin on the clip bound: clipL2's float32 result can exceed its bound by
 * rounding (~1e-7 relative), and the sensitivity must hold exactly.
 */
const CLIP_MARGIN = 1 - 1e-6;

/**
 * Gaussian mechanism on one site's model update (DP-FedAvg, McMahan et al. 2018): clip the
 * update's L2 norm to clipNorm, then add this site's share of the noise. The noise comes
 * from `noise`, by default a CSPRNG (`cryptoNoiseSource`); tests inject a seeded source.
 *
 * Noise is added before weighting: the update must then be weighted uniformly (every site
 * the same weight), or a site with a larger weight would be protected by less noise than
 * the accountant assumed. The guarantee is site-level (adding or removing one site's update
 * per round); it covers the updates only, not other aggregates the job releases.
 */
export class DpUpdateFilter implements UpdateFilter<DpFilterRecord> {
  readonly name = 'dp-gaussian';
  readonly settings: DpFilterSettings;
  private readonly stddev: number;

  constructor(
    settings: DpFilterSettings,
    private readonly noise: NoiseSource = cryptoNoiseSource(),
  ) {
    const { clipNorm, noiseMultiplier, noiseShares } = settings;
    if (!(clipNorm > 0) || !Number.isFinite(clipNorm)) {
      throw new HeflError('invalid_argument', `DP clip norm must be finite and > 0, got ${clipNorm}`);
    }
    if (!(noiseMultiplier > 0) || !Number.isFinite(noiseMultiplier)) {
      throw new HeflError(
        'invalid_argument',
        `DP noise multiplier must be finite and > 0, got ${noiseMultiplier}`,
      );
    }
    this.settings = Object.freeze({ clipNorm, noiseMultiplier, noiseShares });
    this.stddev = siteNoiseStddev(noiseMultiplier * clipNorm, noiseShares);
  }

  /** Stddev of the noise this site adds to each coordinate: sigma * clipNorm / sqrt(K). */
  get siteStddev(): number {
    return this.stddev;
  }

  apply(update: Float32Array): FilteredUpdate<DpFilterRecord> {
    const { clipNorm, noiseMultiplier, noiseShares } = this.settings;
    const bound = clipNorm * CLIP_MARGIN;
    const { clipped, scaleApplied } = clipL2(update, bound);
    return {
      update: addGaussianNoise(clipped, this.stddev, this.noise),
      record: Object.freeze({
        filter: 'dp-gaussian',
        clipNorm,
        noiseMultiplier,
        noiseShares,
        clipped: scaleApplied < 1,
      }),
    };
  }
}
