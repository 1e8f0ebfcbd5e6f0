import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { createApiClient } from './api.ts';
import { ApiContext } from './hooks.ts';
import { RouterProvider } from './router.tsx';
import './ui/styles.css';

const api = createApiClient(import.meta.env.VITE_GROUNDWORK_API ?? '');

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiContext.Provider value={api}>
      <RouterProvider>
        <App />
      </RouterProvider>
    </ApiContext.Provider>
  </StrictMode>,
);
