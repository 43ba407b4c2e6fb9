// Checks Kubernetes manifests offline, against the API's own OpenAPI schema, twice over:
//  1. kubernetes-models' validators (the schema compiled with ajv): types, formats, required
//     fields, enums;
//  2. TypeScript over the same schema's generated interfaces, each document as an object
//     literal: what (1) lets through, an unknown or misspelt field anywhere ("containerz",
//     "volumeMount"), which the API server would drop or refuse.
// `kubectl apply --dry-run=client` cannot do this here: it asks an API server for the schema.
//
//   node tools/validate-manifests/validate.mjs FILE.yaml...     (exit 0: all valid)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));

function modulePath(apiVersion) {
    // "v1" -> kubernetes-models/v1, "batch/v1" -> kubernetes-models/batch/v1
    return `kubernetes-models/${apiVersion}`;
}

const problems = [];
const documents = [];
for (const file of process.argv.slice(2)) {
    const parsed = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
    parsed.forEach((doc, index) => {
        const where = `${file} document ${index + 1}`;
        if (doc.errors.length) {
            problems.push(`${where}: YAML: ${doc.errors[0].message}`);
            return;
        }
        const data = doc.toJS();
        if (data === null || data === undefined) return;
        if (!data.apiVersion || !data.kind) {
            problems.push(`${where}: no apiVersion or kind`);
            return;
        }
        documents.push({ where, data });
    });
}

for (const { where, data } of documents) {
    let models;
    try {
        models = await import(modulePath(data.apiVersion));
    } catch {
        problems.push(`${where}: unknown apiVersion ${data.apiVersion}`);
        continue;
    }
    const Model = models[data.kind];
    if (!Model) {
        problems.push(`${where}: unknown kind ${data.kind} in ${data.apiVersion}`);
        continue;
    }
    try {
        new Model(data).validate();
    } catch (error) {
        problems.push(`${where} (${data.kind} ${data.metadata?.name}): ${error.message}`);
    }
}

// One TypeScript file per document, in a directory that resolves kubernetes-models.
const dir = fs.mkdtempSync(path.join(here, ".check-"));
try {
    const files = documents.map(({ where, data }, index) => {
        const file = path.join(dir, `doc${index}.ts`);
        fs.writeFileSync(file,
            `// ${where}\nimport type { I${data.kind} as T } from "${modulePath(data.apiVersion)}";\n` +
            `export const document: T = ${JSON.stringify(data, null, 2)};\n`);
        return file;
    });
    if (files.length) {
        try {
            execFileSync(process.execPath, [path.join(here, "node_modules/typescript/bin/tsc"),
                "--noEmit", "--strict", "--target", "es2022", "--module", "esnext",
                "--moduleResolution", "bundler", "--skipLibCheck", "--pretty", "false", ...files],
                { cwd: here, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        } catch (error) {
            const out = `${error.stdout ?? ""}${error.stderr ?? ""}`;
            for (const line of out.split("\n").filter((l) => l.includes("error TS"))) {
                const match = /doc(\d+)\.ts\((\d+),\d+\): error TS\d+: (.*)$/.exec(line);
                problems.push(match ? `${documents[Number(match[1])].where}: ${match[3]}` : line);
            }
            if (!out.includes("error TS")) problems.push(`tsc failed: ${out.trim() || error.message}`);
        }
    }
} finally {
    fs.rmSync(dir, { recursive: true, force: true });
}

for (const problem of problems) console.error(`invalid: ${problem}`);
if (problems.length) process.exit(1);
console.log(`${documents.length} documents valid`);
