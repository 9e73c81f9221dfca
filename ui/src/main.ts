import { createApp } from 'vue'
import { createRouter, createWebHashHistory } from 'vue-router'
import App from './App.vue'
import DocumentList from './views/DocumentList.vue'
import './style.css'

// Only the list is in the first bundle: the other views load when first opened, which
// keeps the window's start and its memory to what the list needs.
// Hash history: the app is served from tauri://localhost/index.html with no server-side routing.
const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', name: 'list', component: DocumentList },
    { path: '/inbox', name: 'inbox', component: () => import('./views/InboxView.vue') },
    { path: '/desk', name: 'desk', component: () => import('./views/DeskView.vue') },
    { path: '/trash', name: 'trash', component: () => import('./views/TrashView.vue') },
    { path: '/search', name: 'search', component: () => import('./views/SearchView.vue'), props: (route) => ({ q: String(route.query.q ?? '') }) },
    { path: '/doc/:id', name: 'read', component: () => import('./views/ReadView.vue'), props: true },
    { path: '/doc/:id/edit', name: 'edit', component: () => import('./views/EditorView.vue'), props: true },
  ],
})

createApp(App).use(router).mount('#app')
