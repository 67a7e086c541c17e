import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { nodeLlamaCppDir, type BuildOptionsRecord } from '../../electron/core/board/llamaBuilds.js';

/**
 * A node-llama-cpp local build folder made by hand, in node-llama-cpp 3.21.1's own layout:
 *   <root>/<folder>/Release/llama-addon.node, its libraries and _nlcBuildMetadata.json ({buildOptions: ...}),
 *   <root>/<folder>/buildDone.status
 * The folder is named by node-llama-cpp's own getBuildFolderNameForBuildOptions, so a test of our naming cannot agree
 * with itself by mistake. Never made inside node_modules: that folder is shared by every worktree.
 */

const nlc = nodeLlamaCppDir()!;

interface NlcFolderNames {
  withCustomCmakeOptions: string;
}

const naming = (await import(
  pathToFileURL(path.join(nlc, 'dist', 'bindings', 'utils', 'getBuildFolderNameForBuildOptions.js')).href
)) as { getBuildFolderNameForBuildOptions(options: unknown): Promise<NlcFolderNames> };

export const BUNDLED_RELEASE = {
  repo: 'ggml-org/llama.cpp',
  release: (
    JSON.parse(fs.readFileSync(path.join(nlc, 'llama', 'binariesGithubRelease.json'), 'utf8')) as {
      release: string;
    }
  ).release,
};

/** node-llama-cpp's own folder name for these options. */
export async function nlcFolderName(options: BuildOptionsRecord): Promise<string> {
  const names = await naming.getBuildFolderNameForBuildOptions({
    ...options,
    customCmakeOptions: new Map(Object.entries(options.customCmakeOptions)),
    llamaCpp: options.llamaCpp ?? BUNDLED_RELEASE,
  });
  return names.withCustomCmakeOptions;
}

export interface FakeBuild {
  arch: string;
  gpu: 'cuda' | 'vulkan' | false;
  customCmakeOptions: Record<string, string>;
  platformInfo?: { name: string; version: string };
  /** File name -> its bytes, or a file to copy. Must include llama-addon.node. */
  files: Record<string, Buffer | { copyOf: string }>;
  /** Leave out buildDone.status (a build that did not finish). */
  unfinished?: boolean;
}

/** Writes the folder under `root` and returns its name. */
export async function makeLocalBuild(root: string, build: FakeBuild): Promise<string> {
  const options: BuildOptionsRecord & { progressLogs: boolean } = {
    customCmakeOptions: build.customCmakeOptions,
    progressLogs: true,
    platform: 'linux',
    platformInfo: build.platformInfo ?? { name: 'Ubuntu', version: '22.04' },
    arch: build.arch,
    gpu: build.gpu,
    llamaCpp: BUNDLED_RELEASE,
  };
  const name = await nlcFolderName(options);
  const release = path.join(root, name, 'Release');
  fs.mkdirSync(release, { recursive: true });
  for (const [file, content] of Object.entries(build.files)) {
    if (Buffer.isBuffer(content)) fs.writeFileSync(path.join(release, file), content);
    else fs.copyFileSync(content.copyOf, path.join(release, file));
  }
  fs.writeFileSync(path.join(release, '_nlcBuildMetadata.json'), JSON.stringify({ buildOptions: options }));
  if (!build.unfinished) fs.writeFileSync(path.join(root, name, 'buildDone.status'), '');
  return name;
}

/** The files of one of node-llama-cpp's prebuilt folders here, to copy into a fake build. */
export function prebuiltFiles(folder: string): Record<string, { copyOf: string }> {
  const dir = path.join(nlc, '..', '@node-llama-cpp', folder, 'bins', folder);
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .filter((name) => /\.(so|node)$/.test(name))
      .map((name) => [name, { copyOf: path.join(dir, name) }]),
  );
}
