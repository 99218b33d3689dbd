import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createStudioStore } from './store/studioStore.ts';
import { platformObjectUrls } from './store/deps.ts';
import { App } from './ui/App.tsx';
import { generateDemoInWorker } from './ui/browser/demoWorkerClient.ts';
import './ui/styles.css';

const store = createStudioStore({ generateDemo: generateDemoInWorker, objectUrls: platformObjectUrls() });

const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');
createRoot(root).render(
  <StrictMode>
    <App store={store} />
  </StrictMode>,
);

// A new user lands on a working page: the demo dataset loads by itself unless the URL says ?empty.
// ?demoImages=N draws a smaller or larger demo (tests on slow software adapters use a few dozen images).
const query = new URLSearchParams(location.search);
const demoImages = Number(query.get('demoImages'));
if (!query.has('empty')) void store.getState().loadDemo(Number.isInteger(demoImages) && demoImages > 0 ? { images: demoImages } : {});
