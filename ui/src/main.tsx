import { render } from 'preact';
import { App } from './app.js';
import { tokenFromFragment } from './token.js';
import './style.css';

tokenFromFragment();
render(<App />, document.getElementById('app')!);
