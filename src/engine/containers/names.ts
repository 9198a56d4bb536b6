// Generated container names, Docker-style adjective_surname; unique among
// the names in use (checked by the caller under the store lock).
import { randomInt } from "node:crypto";

const LEFT = [
  "admiring", "agile", "amazing", "bold", "brave", "busy", "calm", "clever", "cool", "crisp", "dazzling", "eager",
  "elastic", "epic", "fervent", "focused", "gentle", "happy", "hopeful", "jolly", "keen", "kind", "lucid", "merry",
  "modest", "nifty", "noble", "quirky", "relaxed", "serene", "sharp", "sleepy", "stoic", "sweet", "tender", "vibrant",
  "wizardly", "youthful", "zealous", "zen",
];
const RIGHT = [
  "albattani", "bardeen", "bohr", "curie", "darwin", "dijkstra", "einstein", "euler", "fermi", "feynman", "gauss",
  "goodall", "hopper", "hypatia", "johnson", "kepler", "knuth", "lamarr", "lovelace", "meitner", "newton", "noether",
  "pascal", "ritchie", "shannon", "thompson", "torvalds", "turing", "wozniak", "yalow",
];

export function generateName(taken: Set<string>): string {
  for (let i = 0; ; i++) {
    const base = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
    // Docker's way out of a crowded namespace: a digit suffix.
    const name = i < 10 ? base : `${base}${randomInt(1000)}`;
    if (!taken.has(name)) return name;
  }
}
