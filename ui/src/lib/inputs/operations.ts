// Which operations make sense for the inputs on the Canvas, and why the others do not.
// The subject (the image edited, expanded or upscaled) is always the first input.

export type Operation = 'generate' | 'edit' | 'inpaint' | 'expand' | 'upscale' | 'vary';
export type InputRole = 'subject' | 'reference' | 'style';
export type Fidelity = 'low' | 'high';

export const OPERATIONS: readonly Operation[] = ['generate', 'edit', 'inpaint', 'expand', 'upscale', 'vary'];
export const ROLES: readonly InputRole[] = ['subject', 'reference', 'style'];

export const OPERATION_LABEL: Record<Operation, string> = {
  generate: 'Generate',
  edit: 'Edit',
  inpaint: 'Edit region',
  expand: 'Expand',
  upscale: 'Upscale',
  vary: 'Vary',
};

export const OPERATION_HINT: Record<Operation, string> = {
  generate: 'A new image from the prompt; inputs guide it as references',
  edit: 'Change the subject by instruction, keeping what the prompt does not mention',
  inpaint: 'Repaint only the region you paint over the subject',
  expand: 'Grow the canvas around the subject and fill the new margins',
  upscale: 'Enlarge the subject; the prompt is optional',
  vary: 'A variation of the subject',
};

export const ROLE_LABEL: Record<InputRole, string> = { subject: 'Subject', reference: 'Reference', style: 'Style' };

/** What the availability rules need to know about an input. */
export interface RoleOnly {
  role: InputRole;
}

export interface OperationChoice {
  op: Operation;
  ok: boolean;
  /** Why it is not offered (shown as the button's title). */
  why: string | null;
}

export function operationChoices(inputs: readonly RoleOnly[]): OperationChoice[] {
  const subject = inputs.length > 0 && inputs[0].role === 'subject';
  const needSubject = inputs.length === 0 ? 'Add an image to work on first' : 'Mark one input as the subject (the image to change)';
  return OPERATIONS.map((op) => {
    if (op === 'generate') {
      return subject ? { op, ok: false, why: 'With a subject, pick Edit; or make every input a reference to generate a new image' } : { op, ok: true, why: null };
    }
    return subject ? { op, ok: true, why: null } : { op, ok: false, why: needSubject };
  });
}

/** The operation kept when the inputs change: the current one if still offered, else the first that is. */
export function keepOperation(current: Operation, inputs: readonly RoleOnly[]): Operation {
  const ch = operationChoices(inputs);
  if (ch.find((c) => c.op === current)?.ok) return current;
  return ch.find((c) => c.ok && c.op === 'edit')?.op ?? ch.find((c) => c.ok)?.op ?? 'generate';
}

/** Operations that use only the subject: extra inputs are not sent with them. */
export const SUBJECT_ONLY: ReadonlySet<Operation> = new Set(['expand', 'upscale', 'vary']);

/** Puts the subject first and keeps at most one: making an input the subject demotes the old one to a reference. */
export function setRole<T extends RoleOnly>(inputs: readonly T[], index: number, role: InputRole): T[] {
  const out = inputs.map((x, i) => (i === index ? { ...x, role } : x));
  if (role !== 'subject') return out;
  const chosen = out[index];
  const rest = out.filter((_, i) => i !== index).map((x) => (x.role === 'subject' ? { ...x, role: 'reference' as const } : x));
  return [chosen, ...rest];
}

/** The role a newly added input takes: the subject when there is none yet and nothing else was added. */
export function roleForNew(existing: readonly RoleOnly[]): InputRole {
  return existing.length === 0 ? 'subject' : 'reference';
}

/** Removing the subject leaves the others as references (the user picks a new subject). */
export function removeAt<T>(inputs: readonly T[], index: number): T[] {
  return inputs.filter((_, i) => i !== index);
}

/** Problems that stop the request before pricing it, in words. */
export function requestProblem(op: Operation, inputs: readonly RoleOnly[], opts: { maskPainted: boolean; prompt: string; marginsZero: boolean }): string | null {
  const c = operationChoices(inputs).find((x) => x.op === op);
  if (c && !c.ok) return c.why;
  if (op === 'inpaint' && !opts.maskPainted) return 'Paint the region to edit on the subject first';
  if (op === 'expand' && opts.marginsZero) return 'Set at least one margin to expand';
  if ((op === 'generate' || op === 'edit' || op === 'inpaint') && !opts.prompt.trim()) return 'Write a prompt first';
  return null;
}

export const UPSCALE_FACTORS = [2, 4] as const;
