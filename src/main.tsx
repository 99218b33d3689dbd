import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createStudioStore } from './store/studioStore.ts';
import { platformObjectUrls } from './store/deps.ts';
import { App } from './ui/App.tsx';
import { generateDemoInWorker } from './ui/browser/demoWorkerClient.ts';
import { directoryHandleFolder } from './ui/browser/folders.ts';
import { startPage } from './studio/root.ts';
import './ui/styles.css';

const store = createStudioStore({ generateDemo: generateDemoInWorker, objectUrls: platformObjectUrls() });

const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');
createRoot(root).render(
  <StrictMode>
    <App store={store} />
  </StrictMode>,
);

// What the page showed before a reload comes back; a new user lands on the demo dataset, loaded by itself,
// unless the URL says ?empty. ?demoImages=N draws a smaller or larger demo (tests on slow software adapters
// use a few dozen images).
const query = new URLSearchParams(location.search);
const empty = query.has('empty');
const demoImages = Number(query.get('demoImages'));
void startPage(store, {
  dataset: !empty,
  demoWhenNone: !empty,
  folderFromHandle: directoryHandleFolder,
  ...(Number.isInteger(demoImages) && demoImages > 0 ? { demo: { images: demoImages } } : {}),
});
