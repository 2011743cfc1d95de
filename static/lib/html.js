/**
 * The one door to the vendored UI libraries: Preact, its hooks, htm (JSX
 * without a build step) and signals. Pages import from here, never from
 * vendor/ directly, so a version bump touches one file.
 * @module
 */
import { createContext, Fragment, h, render } from "../vendor/preact.mjs";
import htm from "../vendor/htm.mjs";
import {
  useCallback,
  useContext,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from "../vendor/preact-hooks.mjs";
import { batch, computed, effect, signal } from "../vendor/signals-core.mjs";

/** Tagged template that builds Preact elements: html`<p class="x">${text}</p>`. */
export const html = htm.bind(h);

export {
  batch,
  computed,
  createContext,
  effect,
  Fragment,
  h,
  render,
  signal,
  useCallback,
  useContext,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
};

/**
 * Reads a signal in a component and re-renders it when the signal changes.
 * @template T
 * @param {{ value: T, subscribe(fn: (v: T) => void): () => void }} sig
 * @returns {T}
 */
export function useValue(sig) {
  const [, setTick] = useState(0);
  useEffect(() => {
    let first = true;
    return sig.subscribe(() => {
      // subscribe() calls back at once with the current value: no re-render needed for that.
      if (first) {
        first = false;
        return;
      }
      setTick((n) => n + 1);
    });
  }, [sig]);
  return sig.value;
}

/**
 * Loads data with `load()` and keeps loading/error/data state; `reload()`
 * runs it again (keeping the old data visible meanwhile).
 * @template T
 * @param {() => Promise<T>} load
 * @param {unknown[]} deps
 */
export function useResource(load, deps = []) {
  const [state, setState] = useState({ loading: true, error: null, data: undefined });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    return load().then(
      (data) => mine === seq.current && setState({ loading: false, error: null, data }),
      (error) => mine === seq.current && setState((s) => ({ ...s, loading: false, error })),
    );
  }, deps);
  useEffect(() => {
    run();
    return () => {
      seq.current++; // late answers of an unmounted component are dropped
    };
  }, [run]);
  return { ...state, reload: run };
}
