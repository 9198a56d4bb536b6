// The built-in image's name, apart from the code that makes it (busybox.ts,
// which loads the layer writer and its compression): looking the name up
// must not load that on every `zoo run`.
export const BUSYBOX_REF = "busybox:latest";
