// Image inputs in the browser preview. Only the mechanical part is faked: an import is
// named by the bytes' sha256 and sized from their header, as the engine does (a refusal
// in the engine's recorded words); estimates come from the recorded ones (pricing.ts); lineage is
// what the engine answers for a text-only generation (no inputs, nothing made from it yet).
// Finalize and upscale run only in the app (no behaviour of theirs is recorded here).
import { ApiError, type Backend } from '../backend';
import type * as T from '../types';
import { imageHead } from '../../inputs/imageSize';
import type { World } from './world';
import { engineError } from './fixtures';

type InputMethods = Pick<Backend, 'inputImport' | 'generationLineage' | 'generationFinalizeOptions' | 'generationFinalize' | 'generationUpscale'>;

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
}

const appOnly = (what: string) => new ApiError('internal', `${what} runs in the Proofsheet app, not in the browser preview.`);

export function fakeInputs(w: World): InputMethods {
  return {
    inputImport: async (bytes) => {
      const head = imageHead(bytes);
      if (!head || head.mime === 'image/gif') throw engineError('input_not_image');
      const { width, height, mime } = head;
      const sha = await sha256(bytes);
      return w.call('inputImport', () => ({ sha256: sha, width, height, mime }) satisfies T.ImportedImage);
    },
    generationLineage: (id) => w.call('generationLineage', () => {
      const g = w.mustGen(id);
      return { operation: 'generate', tier: g.item.tier, inputs: [], mask: null, expand: null, scale: null, fidelity: null, used_by: [] } satisfies T.Lineage;
    }),
    generationFinalizeOptions: () => Promise.reject(appOnly('Finalize')),
    generationFinalize: () => Promise.reject(appOnly('Finalize')),
    generationUpscale: () => Promise.reject(appOnly('Upscale')),
  };
}
