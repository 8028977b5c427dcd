/** See bin/current-build.js. */
export declare function currentBuild(root: URL, dist?: URL, env?: NodeJS.ProcessEnv): URL | null;
